from __future__ import annotations

import pytest

from counter_app.domain.errors import PermissionDenied, WeakPassword
from counter_app.domain.operators import Role, check_password_policy, require_role


@pytest.mark.parametrize(
    "password", ["short1", "abcdefghij", "ABCDEFGHIJ", "1234567890", "!!!!!!!!!!"]
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(WeakPassword) as info:
        check_password_policy(password)
    assert password not in info.value.message("en")


@pytest.mark.parametrize("password", ["abcdefg1", "Counter-desk", "密码abcdefgh"])
def test_mixed_passwords_of_eight_or_more_pass(password: str) -> None:
    check_password_policy(password)


def test_clerk_cannot_do_an_admin_action() -> None:
    with pytest.raises(PermissionDenied) as info:
        require_role("clerk", (Role.ADMIN,), action_zh="添加操作员", action_en="adding an operator")
    assert "admin" in info.value.message("en")
    assert "管理员" in info.value.message("zh")
