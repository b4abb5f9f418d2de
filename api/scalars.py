"""Scalars of our own."""

from __future__ import annotations

from typing import Any

import graphene
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from graphql import GraphQLError
from graphql.language import ValueNode


class Upload(graphene.Scalar):
    """A file sent with the operation as a GraphQL multipart request
    (https://github.com/jaydenseric/graphql-multipart-request-spec). Input only."""

    @staticmethod
    def serialize(value: Any) -> Any:
        raise GraphQLError("Upload is an input-only scalar.")

    @staticmethod
    def parse_value(value: Any) -> UploadedFile:
        if isinstance(value, UploadedFile):
            return value
        raise GraphQLError(_("Send the file as a multipart request (GraphQL multipart request spec)."))

    @staticmethod
    def parse_literal(node: ValueNode, _variables: Any = None) -> Any:
        raise GraphQLError(_("A file cannot be written in the query; send it as a multipart request."))
