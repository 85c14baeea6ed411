"""CSV import of clients and leads in the admin — a dry-run preview first, then
the confirmed import, de-duplicated by phone and e-mail — and CSV export of the
rows the person sees."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import Channel, Client, Lead
from tests.crm.factories import ClientFactory, LeadFactory

CLIENTS_CSV = """full_name,phone,email,city,language
Айгерим Нуржанова,+7 701 111 22 33,aigerim@example.kz,Алматы,kk
Сергей Ким,,sergey.kim@example.kz,Астана,ru
Айгерим Н. (повтор),87011112233,,Алматы,
Старый клиент,8 702 000 00 01,,Алматы,ru
Без контактов,,,Алматы,ru
Плохой телефон,12,,Алматы,ru
"""

LEADS_CSV = """client_name,client_phone,client_email,stage,assignee,destination_country,destination_resort,date_from,date_to,nights_from,nights_to,adults,children,budget
Данияр Сапаров,+7 705 123 45 67,,consultation,aigerim,Вьетнам,Фукуок,2027-02-01,2027-02-10,7,9,2,1,1800000
Данияр Сапаров,87051234567,,,,Вьетнам,Нячанг,,,,,,,
Оплаченный без заказа,+7 705 000 00 02,,paid,,Вьетнам,Дананг,,,,,,,
Наоборот,+7 705 000 00 03,,,,Вьетнам,Дананг,2027-03-10,2027-03-01,,,,,
"""  # noqa: E501


def preview_then_confirm(client, model: str, csv_text: str):
    url = f"/admin/crm/{model}/import/"
    page = client.post(url, {"format": "0", "import_file": SimpleUploadedFile(f"{model}s.csv", csv_text.encode())})
    assert page.status_code == 200
    html = page.content.decode()
    fields = dict(re.findall(r'name="(import_file_name|original_file_name|format|resource)"[^>]*value="([^"]*)"', html))
    return html, fields, lambda: client.post(f"/admin/crm/{model}/process_import/", fields)


def test_client_import_previews_then_imports_without_duplicates(client, manager):
    ClientFactory(full_name="Старый клиент", phone="+77020000001")
    client.force_login(manager)
    html, fields, confirm = preview_then_confirm(client, "client", CLIENTS_CSV)
    # The dry run wrote nothing and says what each row would do.
    assert Client.objects.count() == 1
    assert "Укажите телефон или эл. почту нового клиента." in html
    assert "«12» — недействительный номер телефона." in html
    assert 'name="confirm"' not in html  # a file with invalid rows is not imported
    good = "\n".join(line for line in CLIENTS_CSV.splitlines() if "Без контактов" not in line and "Плохой" not in line)
    html, fields, confirm = preview_then_confirm(client, "client", good + "\n")
    assert Client.objects.count() == 1 and 'name="confirm"' in html
    confirm()
    names = set(Client.objects.values_list("full_name", flat=True))
    assert names == {"Старый клиент", "Айгерим Нуржанова", "Сергей Ким"}
    aigerim = Client.objects.get(full_name="Айгерим Нуржанова")
    assert str(aigerim.phone) == "+77011112233" and aigerim.language == "kk" and aigerim.source == Channel.IMPORT


def test_lead_import_goes_through_the_lead_rules(client, manager, agent):
    client.force_login(manager)
    html, fields, confirm = preview_then_confirm(client, "lead", LEADS_CSV)
    assert not Lead.objects.exists()
    assert "won stage" in html or "успешный этап" in html or "добавьте к лиду заказ" in html.lower()
    assert 'name="confirm"' not in html
    good = "\n".join(LEADS_CSV.splitlines()[:3]) + "\n"
    html, fields, confirm = preview_then_confirm(client, "lead", good)
    assert 'name="confirm"' in html
    confirm()
    leads = list(Lead.objects.select_related("client", "stage", "assignee").order_by("pk"))
    assert len(leads) == 2 and leads[0].client_id == leads[1].client_id  # one client, found by phone
    first, second = leads
    assert first.stage.code == "consultation" and first.assignee == agent and first.budget == 1800000
    assert second.stage.code == "new" and second.adults == 2 and second.source == Channel.IMPORT
    assert first.stage_changes.exists() and first.activities.exists()


def test_agents_export_only_what_they_see_and_cannot_import(client, agent, colleague):
    LeadFactory(assignee=agent, client__full_name="Мой клиент", client__owner=agent)
    LeadFactory(assignee=colleague, client__full_name="Чужой клиент", client__owner=colleague)
    client.force_login(agent)
    assert client.get("/admin/crm/lead/import/").status_code == 403
    exported = client.post("/admin/crm/lead/export/", {"format": "0", **{f"leadresource_{name}": "on" for name in (
        "id", "client_name", "client_phone", "stage", "destination_resort")}})
    assert exported.status_code == 200, exported.content[:500]
    text = exported.content.decode("utf-8-sig")
    assert "Мой клиент" in text and "Чужой клиент" not in text
