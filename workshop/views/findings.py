"""Workshop views: findings."""

urlpatterns: list = []
