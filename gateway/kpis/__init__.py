"""Service KPIs over the gateway's database: how early heatwatch warns, how well the work goes, what
customers say. ``figures`` computes each KPI over a period (pure: a Session in, numbers out),
``series`` the weekly and distribution data the board's charts draw, ``router`` serves both as JSON
(GET /kpis). docs/board.md defines every figure."""
