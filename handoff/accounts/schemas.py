"""The accounts API's request and response shapes (apart from the ORM models)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from handoff.accounts.models import Account, Role


class LoginRequest(BaseModel):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class AccountPublic(BaseModel):
    id: int
    email: str
    display_name: str
    role: Role

    @classmethod
    def of(cls, account: Account) -> AccountPublic:
        return cls(
            id=account.id,
            email=account.email,
            display_name=account.display_name,
            role=account.role,
        )


class LoginResponse(BaseModel):
    account: AccountPublic
    csrf_token: str
