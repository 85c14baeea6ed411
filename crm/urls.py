"""URLs of the agents' pages: ``leads:`` (the board and the lead card) and
``my_day:`` (tasks and notifications), each its own navigation entry."""

from django.urls import path

from crm import views

app_name = "leads"

urlpatterns = [
    path("", views.board, name="board"),
    path("column/<int:stage_id>/", views.column, name="column"),
    path("new/", views.quick_create, name="create"),
    path("new/client/", views.client_lookup, name="client_lookup"),
    path("<int:pk>/", views.lead_detail, name="detail"),
    path("<int:pk>/move/", views.lead_move, name="move"),
    path("<int:pk>/travel/", views.lead_travel, name="travel"),
    path("<int:pk>/assign/", views.lead_assign, name="assign"),
    path("<int:pk>/tags/", views.lead_tags, name="tags"),
    path("<int:pk>/timeline/", views.lead_timeline, name="timeline"),
    path("<int:pk>/notes/", views.lead_note, name="note"),
    path("<int:pk>/tasks/", views.lead_task, name="task"),
    path("<int:pk>/orders/", views.lead_order, name="order"),
]

my_day_urlpatterns = (
    [
        path("", views.my_day, name="page"),
        path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
        path("notifications/read/", views.notifications_read, name="notifications_read"),
    ],
    "my_day",
)
