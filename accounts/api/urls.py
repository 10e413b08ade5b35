from rest_framework.routers import SimpleRouter

from accounts.api import views

router = SimpleRouter()
router.register("staff-changes", views.StaffChangeViewSet, basename="staff-change")

urlpatterns = router.urls
