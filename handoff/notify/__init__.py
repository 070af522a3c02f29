"""E-mail to customers who left an address: the agent's later reply with the transcript."""
