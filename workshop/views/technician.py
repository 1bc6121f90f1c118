"""Workshop views: technician."""

urlpatterns: list = []
