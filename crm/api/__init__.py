"""The CRM's REST API (``/api/v1/``): thin views over ``crm.services`` and
``crm.selectors``, rights from ``crm.access``. ``crystalbay/api.py`` registers the
viewsets in the project's one router."""
