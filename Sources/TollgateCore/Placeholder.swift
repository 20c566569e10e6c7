// TollgateCore
