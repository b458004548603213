"""The Sở's reporting cycle around the briefings: who has reported (status), what each unit must explain
(letters), what goes up to the province (the consolidated appendix) and what the leaders read between
meetings (the digest)."""
