"""The AI assistant of the inbox: understanding each inbound message
(``extraction``: a rule engine and a model engine behind one interface),
scoring and filling the lead, drafting grounded replies, and the Telegram bot
for tourists. Everything here runs in Celery after the message is stored."""
