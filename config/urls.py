from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from api.views import graphql_view
from config.views import home
from mentorship.urls import doctor_urlpatterns as mentoring_urlpatterns

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("doctors/", include("accounts.urls")),
    path("network/", include("network.urls")),
    path("audit/", include("mentorship.urls")),
    path("mentorship/", include((mentoring_urlpatterns, "mentoring"))),
    path("referrals/", include("referrals.urls")),
    path("chat/", include("chat.urls")),
    path("search/", include("search.urls")),
    path("graphql/", graphql_view, name="graphql"),
    path("i18n/", include("django.conf.urls.i18n")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
