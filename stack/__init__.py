"""Running the whole product on one machine: embedded Redis, the three servers, their settings."""
