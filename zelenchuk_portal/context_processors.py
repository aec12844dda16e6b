from .models import Role


def portal(request):
    """Navigation facts for the layout: the person's roles, so menus show what he or she can use."""
    user = request.user
    roles = user.active_roles if user.is_authenticated else frozenset()
    return {"user_roles": roles, "Role": Role}
