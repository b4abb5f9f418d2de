import graphene


class Query(graphene.ObjectType):
    ok = graphene.Boolean()


schema = graphene.Schema(query=Query)
