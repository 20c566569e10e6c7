// GiteaKit
