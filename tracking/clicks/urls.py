from django.urls import path

from tracking.clicks import views

urlpatterns = [
    path("c/<str:code>", views.click, name="click"),
    path("aff_c", views.tune_click, name="click-tune"),
    path("s/<str:code>", views.smart_click, name="click-smart"),
    path("i/<str:code>", views.impression, name="impression"),
    path("ct/<path:rest>", views.creative_test, name="creative-test-serve"),
    path("aff_i", views.tune_impression, name="impression-tune"),
    path("offer-unavailable", views.unavailable, name="offer-unavailable"),
]
