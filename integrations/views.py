def health(request):
    pass


def settings_page(request):
    pass
