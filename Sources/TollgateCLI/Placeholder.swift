// TollgateCLI
