// TollgateEngine
