"""Writes of the inbox: receiving (webhooks), processing (matching, leads, the
timeline), replying and sending, and what agents do to a conversation."""
