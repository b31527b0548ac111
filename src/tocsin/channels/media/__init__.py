"""Content ready to air: siren sound, spoken announcements and the social-media card."""
