print("paastech")
