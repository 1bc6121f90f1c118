"""Views of step 1 and 2, one module per area: booking (the booking desk),
and the others as the step grows (board, preparation, public self-booking)."""
