"""The agency's default pipeline (nine stages and a lost stage) and the four role groups."""

from django.db import migrations

STAGES = [
    # code, Russian, English, kind, SLA hours, colour
    ("new", "Новый запрос", "New request", "open", 2, "#0d6efd"),
    ("consultation", "Консультация", "Consultation", "open", 24, "#6610f2"),
    ("selection", "Подбор тура", "Tour selection", "open", 24, "#6f42c1"),
    ("offer", "Коммерческое предложение", "Offer sent", "open", 48, "#d63384"),
    ("extras", "Добавление интеграций", "Extras: flights, insurance, visas", "open", 48, "#fd7e14"),
    ("paid", "Оплатили", "Paid", "won", None, "#20c997"),
    ("accepted", "Принято заказчиком", "Accepted by client", "won", None, "#198754"),
    ("confirmed", "Подтверждено", "Confirmed by operator", "won", None, "#0f5132"),
    ("completed", "Завершено", "Completed", "won", None, "#495057"),
    ("lost", "Отказ", "Lost", "lost", None, "#dc3545"),
]
ROLES = ["agent", "manager", "admin", "accountant"]


def create(apps, schema_editor):
    Pipeline = apps.get_model("crm", "Pipeline")
    Stage = apps.get_model("crm", "Stage")
    Group = apps.get_model("auth", "Group")
    pipeline, _ = Pipeline.objects.get_or_create(
        slug="default", defaults={"name": "Продажи туров", "name_en": "Tour sales", "is_default": True}
    )
    for position, (code, name, name_en, kind, sla_hours, color) in enumerate(STAGES, start=1):
        Stage.objects.get_or_create(
            pipeline=pipeline, code=code,
            defaults={"name": name, "name_en": name_en, "kind": kind, "sla_hours": sla_hours, "color": color,
                      "position": position},
        )
    for role in ROLES:
        Group.objects.get_or_create(name=role)


def remove(apps, schema_editor):
    apps.get_model("crm", "Pipeline").objects.filter(slug="default").delete()
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create, remove)]
