"""Pages of the printed letters (under /followup/letters/)."""

from django.urls import path

from followup import letter_views

urlpatterns = [
    path("", letter_views.letters, name="letters"),
    path("preview.pdf", letter_views.letters_preview, name="letters_preview"),
    path("print/", letter_views.letters_print, name="letters_print"),
    path("<slug:batch>.pdf", letter_views.letters_batch, name="letters_batch"),
]
