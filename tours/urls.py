from django.urls import path

from tours import views

app_name = "tours"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("search/filters/", views.search_filters, name="search-filters"),
    path("search/group/", views.search_group, name="search-group"),
    path("offers/attach/", views.attach, name="attach"),
    path("offers/<int:pk>/", views.offer_detail, name="offer"),
    path("offers/<int:pk>/book/", views.offer_book_view, name="offer-book"),
    path("console/", views.console, name="console"),
]
