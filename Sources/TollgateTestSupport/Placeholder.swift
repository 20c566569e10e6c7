// TollgateTestSupport
