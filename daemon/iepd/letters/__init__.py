"""The words iepd writes: the letters to the school, the reminders to the parent,
their templates, text layout and headers."""
