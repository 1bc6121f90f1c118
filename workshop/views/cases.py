"""Workshop views: cases."""

urlpatterns: list = []
