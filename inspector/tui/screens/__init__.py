"""Screens of the inspector app: session picker, help, confirmations, no session."""
