"""Workshop views: board."""

urlpatterns: list = []
