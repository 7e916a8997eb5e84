"""What every resource's router shares: wire types, pagination, errors. The routers themselves live
beside their models (customers/router.py, tickets/router.py, ...); the app is put together in app.py."""
