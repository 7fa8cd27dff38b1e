// PlatformConfig
