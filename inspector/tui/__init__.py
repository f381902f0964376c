"""The Textual app: a live tree of a session's tool calls, with what the API would reject.

Only this package imports Textual; it presents what the domain modules compute.
"""
