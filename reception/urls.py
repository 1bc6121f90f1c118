"""Reception's URLs: each views module lists its own patterns, so the areas
(arrivals, repair orders, walk-around, estimate, documents, parts, billing) stay apart."""

from reception.views import arrivals, billing, documents, estimate, orders, parts, walkaround

app_name = "reception"
urlpatterns = [
    *arrivals.urlpatterns,
    *orders.urlpatterns,
    *walkaround.urlpatterns,
    *estimate.urlpatterns,
    *documents.urlpatterns,
    *parts.urlpatterns,
    *billing.urlpatterns,
]
