from django.urls import path

from newsletter import views

app_name = "newsletter"
urlpatterns = [
    path("", views.subscribe, name="subscribe"),
    path("signup/", views.signup, name="signup"),
    path("signup/stamp/", views.signup_stamp, name="signup-stamp"),
    path("check-your-inbox/", views.check_inbox, name="check-inbox"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
    path("preferences/<str:token>/data.json", views.export_data, name="export-data"),
    path("preferences/<str:token>/erase/", views.erase, name="erase"),
    path("editions/", views.EditionArchiveView.as_view(), name="edition-archive"),
    path("editions/<int:pk>/", views.EditionDetailView.as_view(), name="edition-detail"),
    path("c/<str:token>/", views.click, name="click"),
]
