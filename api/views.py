from django.conf import settings
from graphene_django.views import GraphQLView

graphql_view = GraphQLView.as_view(graphiql=settings.DEBUG)
