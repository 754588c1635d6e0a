"""Word lists for plausible names. Tuples, never sets: their order is part of determinism."""

from __future__ import annotations

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Karen",
    "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra", "Mark", "Ashley", "Steven", "Emily",
    "Andrew", "Donna", "Joshua", "Michelle", "Kevin", "Carol", "Brian", "Amanda", "Priya", "Melissa",
    "Wei", "Deborah", "Luis", "Stephanie", "Omar", "Rebecca", "Ryan", "Laura", "Jacob", "Sharon",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Patel",
)
COMPANY_FIRST = (
    "Acme", "Bluewater", "Cedar", "Delta", "Evergreen", "Falcon", "Granite", "Harbor", "Ironwood", "Juniper",
    "Keystone", "Lakeside", "Meridian", "Northstar", "Oakridge", "Pinnacle", "Quarry", "Riverbend", "Summit",
    "Trident", "Union", "Vantage", "Westfield", "Yellowstone", "Zenith", "Apex", "Beacon", "Crescent",
    "Driftwood", "Elm Street", "Foxglove", "Goldleaf", "Highland", "Prairie", "Redwood", "Silverline",
)
COMPANY_SECOND = (
    "Dental", "Law Group", "Accounting", "Logistics", "Manufacturing", "Realty", "Medical Clinic", "Insurance",
    "Engineering", "Architects", "Foods", "Construction", "Credit Union", "Veterinary", "Marketing",
    "Wealth Advisors", "Distributors", "Auto Group", "Academy", "Hospitality",
)
INDUSTRY_OF = {
    "Dental": "Healthcare", "Medical Clinic": "Healthcare", "Veterinary": "Healthcare",
    "Law Group": "Legal", "Accounting": "Professional Services", "Architects": "Professional Services",
    "Engineering": "Professional Services", "Marketing": "Professional Services",
    "Logistics": "Transportation", "Distributors": "Wholesale", "Manufacturing": "Manufacturing",
    "Realty": "Real Estate", "Insurance": "Financial Services", "Credit Union": "Financial Services",
    "Wealth Advisors": "Financial Services", "Foods": "Food & Beverage", "Construction": "Construction",
    "Auto Group": "Retail", "Academy": "Education", "Hospitality": "Hospitality",
}
COMPANY_SUFFIX = ("Inc.", "LLC", "Co.", "Partners", "Group", "Ltd.")

# Metro areas an MSP of this size serves (city, state, latitude, longitude, ZIP prefix).
METROS = (
    ("Chicago", "IL", 41.8781, -87.6298, "606"),
    ("Naperville", "IL", 41.7508, -88.1535, "605"),
    ("Schaumburg", "IL", 42.0334, -88.0834, "601"),
    ("Joliet", "IL", 41.5250, -88.0817, "604"),
    ("Evanston", "IL", 42.0451, -87.6877, "602"),
    ("Aurora", "IL", 41.7606, -88.3201, "605"),
    ("Gary", "IN", 41.5934, -87.3464, "464"),
    ("Milwaukee", "WI", 43.0389, -87.9065, "532"),
)
STREETS = (
    "Main St", "Oak Ave", "Washington Blvd", "Lake St", "Park Ave", "Madison St", "Elm St", "Market St",
    "State St", "Grand Ave", "Maple Dr", "Industrial Pkwy", "Commerce Dr", "Route 59", "Ogden Ave",
)
SITE_NAMES = ("Head office", "Warehouse", "Branch office", "Clinic", "Plant", "Satellite office")
DEPARTMENTS = ("Operations", "Finance", "Sales", "Administration", "Production", "Management")
