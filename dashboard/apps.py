from django.apps import AppConfig


class DashboardConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboard"

    def ready(self) -> None:
        # A save or delete anywhere the dashboard reads makes its kept reads stale.
        from dashboard import cache

        cache.connect()
