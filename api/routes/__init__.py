"""The HTTP routes of the service, one ``APIRouter`` per area; :func:`api.app.create_app` includes them."""
