/**
 * The policies of the seed lab ("S3 Batch Operation", shared/seed/s3-batch-operations-lab.md): the
 * two inline policies it adds to the replication role and its trust policy, as the lab shows them
 * (typos included) and as they must be written to be accepted. The lab's text is broken across code
 * fences; `…AsPrinted` is the text as it appears, `…AsPasted` what the policy editor screenshot
 * shows, `…Corrected` the working policy. Used by the tests, the benchmark and the console's templates.
 */

/** Step 17, first inline policy, exactly as printed: the closing `]` is missing. */
export const SeedCopyPolicyAsPrinted = `{
"Version": "2012-10-17",
"Statement": [
    {
        "Action": [
            "s3:PutObject",
            "s3:PutObjectAcl",
            "s3:PutObjectTagging"
        ],
        "Effect": "Allow",
        "Resource": "arn:aws:s3:::destinationbucket7122/*"
    },
    {
        "Action": [
            "s3:GetObject",
            "s3:GetObjectAcl",
            "s3:GetObjectTagging",
            "s3>ListBucket"
        ],
        "Effect": "Allow",
        "Resource": [
            "arn:aws:s3:::sourcebucket7123",
            "arn:aws:s3:::sourcebucket7123/*"
        ]
    },
    {
        "Effect": "Allow",
        "Action": [
            "s3:GetObject",
            "s3:GetObjectVersion"
        ],
        "Resource": [
            "arn:aws:s3:::sourcebucket7123/*"
        ]
    },
    {
        "Effect": "Allow",
        "Action": [
            "s3:PutObject"
        ],
        "Resource": [
            "arn:aws:s3:::sourcebucket7123/*"
        ]
    }
}`;

/** The same policy with its brackets balanced (the editor screenshot): the `s3>ListBucket` typo remains. */
export const SeedCopyPolicyAsPasted = SeedCopyPolicyAsPrinted.replace(/\}\n\}$/, '}\n]\n}');

/** The first inline policy as it must be written. */
export const SeedCopyPolicyCorrected = SeedCopyPolicyAsPasted.replace('"s3>ListBucket"', '"s3:ListBucket"');

/** Step 19, second inline policy as printed: trailing commas after each Resource list (invalid JSON). */
export const SeedReplicationPolicyAsPrinted = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": [
                "s3:InitiateReplication"
            ],
            "Effect": "Allow",
            "Resource": [
                "arn:aws:s3:::sourcebucket7123/*"
            ],
        },
        {
            "Action": [
                "s3:GetReplicationConfiguration",
                "s3:PutInventoryConfiguration"
            ],
            "Effect": "Allow",
            "Resource": [
                "arn:aws:s3:::sourcebucket7123"
            ],
        },
        {
            "Action": [
                "s3:GetObject",
                "s3:GetObjectVersion"
            ],
            "Effect": "Allow",
            "Resource": [
                "arn:aws:s3:::sourcebucket7123/*"
            ],
        },
        {
            "Effect": "Allow",
            "Action": [
                "s3:PutObject"
            ],
            "Resource": [
                "arn:aws:s3:::sourcebucket7123/*",
                "arn:aws:s3:::sourcebucket7123/*"
            ]
        }
    ]
}`;

/** The second policy as the editor screenshot shows it: valid JSON, but `s3.GetObject` has no vendor. */
export const SeedReplicationPolicyAsPasted = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Action": [
        "s3:InitiateReplication"
      ],
      "Effect": "Allow",
      "Resource": [
        "arn:aws:s3:::sourcebucket7123/*"
      ]
    },
    {
      "Action": [
        "s3:GetReplicationConfiguration",
        "s3:PutInventoryConfiguration"
      ],
      "Effect": "Allow",
      "Resource": [
        "arn:aws:s3:::sourcebucket7123"
      ]
    },
    {
      "Action": [
        "s3.GetObject",
        "s3:GetObjectVersion"
      ],
      "Effect": "Allow",
      "Resource": [
        "arn:aws:s3:::sourcebucket7123/*"
      ]
    }
  ]
}`;

/** The second policy as it must be written (all four statements of the printed text, valid JSON). */
export const SeedReplicationPolicyCorrected = SeedReplicationPolicyAsPrinted.replace(/\],\n(\s*)\}/g, ']\n$1}');

/** Step 23, the trust policy as the editor shows it: accepted. */
export const SeedTrustPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Service": "batchoperations.s3.amazonaws.com"
      },
      "Action": "sts:AssumeRole"
    }
  ]
}`;

/** Step 23's second trust policy as printed: "Action" sits inside "Principal". */
export const SeedTrustPolicyTwoServicesAsPrinted = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {
                "Service": [
                    "batchoperations.s3.amazonaws.com", "s3.amazonaws.com"
                ],
                "Action": "sts:AssumeRole"
            }
        }
    ]
}`;

/** The second trust policy as it must be written. */
export const SeedTrustPolicyTwoServicesCorrected = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {
                "Service": [
                    "batchoperations.s3.amazonaws.com", "s3.amazonaws.com"
                ]
            },
            "Action": "sts:AssumeRole"
        }
    ]
}`;
