router = "not a router"
