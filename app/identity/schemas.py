from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from app.core.text import NoNul, Text
from app.identity.models import Role


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[EmailStr, NoNul()]
    password: Text = Field(min_length=10, max_length=256)
    full_name: Text = Field(min_length=1, max_length=200)

    @field_validator("full_name")
    @classmethod
    def _name_has_letters(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("full name must not be blank")
        return value


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str
    role: Role


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int
