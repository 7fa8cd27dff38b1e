// Cgroups
