"""Workshop views: quality."""

urlpatterns: list = []
