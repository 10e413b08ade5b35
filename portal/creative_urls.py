"""The creative and smart link pages (portal/views/creative_pages.py)."""

from django.urls import path

from portal.views import creative_pages

urlpatterns = [
    path("publisher/creatives/", creative_pages.publisher_creatives, name="publisher-creatives"),
    path(
        "publisher/smart-links/",
        creative_pages.publisher_smart_links,
        name="publisher-smart-links",
    ),
    path(
        "publisher/smart-links/<int:link_id>/",
        creative_pages.publisher_smart_link,
        name="publisher-smart-link",
    ),
    path("manager/creatives/", creative_pages.manager_creatives, name="manager-creatives"),
    path(
        "manager/creatives/<int:creative_id>/<str:verb>/",
        creative_pages.manager_creative_decide,
        name="manager-creative-decide",
    ),
    path(
        "advertiser/creatives/",
        creative_pages.advertiser_creatives,
        name="advertiser-creatives",
    ),
    path(
        "advertiser/creatives/<int:creative_id>/image/",
        creative_pages.advertiser_creative_image,
        name="advertiser-creative-image",
    ),
]
