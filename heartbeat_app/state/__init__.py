"""Server state of the app: one state per concern, handlers only; database and file work runs in a thread."""
