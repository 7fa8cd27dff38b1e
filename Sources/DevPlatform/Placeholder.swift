// DevPlatform
