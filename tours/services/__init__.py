"""Tours: the SAMO cache, reference options, tour search, offers attached to leads
and booked into orders, and the preload. Writes to the CRM go through ``crm.services``."""
