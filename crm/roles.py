"""The four roles and the model permissions each one starts with.

Groups are created by a data migration; their baseline permissions are added
after every ``migrate`` (add-only, so what an admin grants by hand stays).
Object-level rules — which rows a role may see or change — are in
``crm/access.py``.
"""

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Role(TextChoices):
    AGENT = "agent", _("Agent")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")
    ACCOUNTANT = "accountant", _("Accountant")


# app label -> model -> actions, for each role. "*" means every model of the app.
ROLE_PERMISSIONS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    Role.AGENT: {
        "crm": {
            "client": ("view", "add", "change"),
            "lead": ("view", "add", "change"),
            "leadstagechange": ("view",),
            "activity": ("view", "add"),
            "task": ("view", "add", "change"),
            "order": ("view", "add", "change"),
            "orderlog": ("view",),
            "tag": ("view", "add"),
            "pipeline": ("view",),
            "stage": ("view",),
        },
        "messaging": {"conversation": ("view", "change"), "message": ("view",)},
        "tours": {"samocache": ("view",)},
        "analytics": {"surveyresponse": ("view", "add", "change")},
    },
    Role.MANAGER: {
        "crm": {"*": ("view", "add", "change", "delete")},
        # What the assistant may do on its own (auto-send) is an admin's decision.
        "messaging": {"*": ("view", "add", "change"), "assistantsettings": ("view",)},
        "tours": {"*": ("view",)},
        "integrations": {"*": ("view",)},
        "auth": {"user": ("view",)},
        "analytics": {"*": ("view", "add", "change", "delete")},
    },
    Role.ADMIN: {
        "crm": {"*": ("view", "add", "change", "delete")},
        "messaging": {"*": ("view", "add", "change", "delete")},
        "tours": {"*": ("view", "add", "change", "delete")},
        "integrations": {"*": ("view", "delete")},
        "auth": {"*": ("view", "add", "change", "delete")},
        "analytics": {"*": ("view", "add", "change", "delete")},
        # Personal API tokens (django-rest-knox): issued (shown once) and revoked in the admin.
        "knox": {"authtoken": ("view", "add", "delete")},
        # Login protection (django-axes): deleting a user's access attempts unlocks them.
        "axes": {"accessattempt": ("view", "delete"), "accesslog": ("view",), "accessfailurelog": ("view",)},
    },
    Role.ACCOUNTANT: {
        "crm": {"*": ("view",), "order": ("view", "change")},
        "messaging": {"*": ("view",)},
        "tours": {"*": ("view",)},
        "analytics": {"*": ("view",)},
    },
}


def role_permissions_sync(**kwargs) -> None:
    """Give each role group its baseline permissions (post_migrate handler)."""
    from django.contrib.auth.models import Group, Permission

    for role, apps_rules in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = []
        for app_label, models in apps_rules.items():
            for perm in Permission.objects.filter(content_type__app_label=app_label).select_related("content_type"):
                action, _sep, model = perm.codename.partition("_")
                actions = models.get(perm.content_type.model, models.get("*", ()))
                if action in actions:
                    wanted.append(perm)
        group.permissions.add(*wanted)
