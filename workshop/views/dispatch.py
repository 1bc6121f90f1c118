"""Workshop views: dispatch."""

urlpatterns: list = []
